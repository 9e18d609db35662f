// The demo catalog: a small shop of desk and kitchen goods. Images are SVGs
// drawn for this project (public/images/products/<slug>.svg).

type DemoProduct = {
  slug: string;
  // Typed-in codes by department (KIT, DSK, PLT, HOM); they never look like
  // the CS-000042 codes the store generates (app/db/sku.ts).
  sku: string;
  name: string;
  description: string;
  priceCents: number;
  stock: number;
};

export const demoProducts: DemoProduct[] = [
  { slug: "stoneware-mug", sku: "KIT-101", name: "Stoneware Mug", description: "A heavy 350 ml mug with a speckled glaze that keeps coffee warm through a long read.", priceCents: 1800, stock: 40 },
  { slug: "espresso-cup-pair", sku: "KIT-102", name: "Espresso Cup Pair", description: "Two 90 ml cups with thick walls and saucers, glazed in sea green.", priceCents: 2400, stock: 25 },
  { slug: "pour-over-dripper", sku: "KIT-103", name: "Pour-Over Dripper", description: "A porcelain cone dripper for one to two cups; fits most mugs and carafes.", priceCents: 3200, stock: 18 },
  { slug: "glass-carafe", sku: "KIT-104", name: "Glass Carafe", description: "A 600 ml borosilicate carafe with a cork collar, for coffee or water.", priceCents: 2900, stock: 15 },
  { slug: "tea-tin", sku: "KIT-105", name: "Loose Tea Tin", description: "An airtight tin with an inner lid that keeps 100 g of leaves fresh.", priceCents: 1400, stock: 60 },
  { slug: "bamboo-tray", sku: "KIT-106", name: "Bamboo Serving Tray", description: "A light tray with raised edges for breakfast in bed or a tidy desk.", priceCents: 3600, stock: 12 },
  { slug: "linen-notebook", sku: "DSK-201", name: "Linen Notebook", description: "A5, 192 dot-grid pages of 100 gsm paper that takes fountain pen ink without bleeding.", priceCents: 2200, stock: 50 },
  { slug: "pocket-notebook-set", sku: "DSK-202", name: "Pocket Notebook Set", description: "Three slim ruled notebooks that fit a back pocket, stitched, not glued.", priceCents: 1200, stock: 80 },
  { slug: "brass-pen", sku: "DSK-203", name: "Brass Ballpoint Pen", description: "A solid brass pen that darkens with use; takes standard refills.", priceCents: 4500, stock: 20 },
  { slug: "pencil-bundle", sku: "DSK-204", name: "Cedar Pencil Bundle", description: "Twelve HB pencils of incense cedar, pre-sharpened, with erasers.", priceCents: 900, stock: 100 },
  { slug: "desk-organizer", sku: "DSK-205", name: "Oak Desk Organizer", description: "Three compartments for pens, cards and a phone, cut from one piece of oak.", priceCents: 5400, stock: 10 },
  { slug: "paper-clips-tin", sku: "DSK-206", name: "Paper Clips in a Tin", description: "Two hundred coated clips in five colours, in a tin that is worth keeping.", priceCents: 600, stock: 120 },
  { slug: "ceramic-planter", sku: "PLT-301", name: "Ceramic Planter", description: "A 12 cm planter with a drainage hole and a matching saucer, matte white.", priceCents: 2600, stock: 30 },
  { slug: "hanging-planter", sku: "PLT-302", name: "Hanging Planter", description: "A terracotta bowl on a cotton rope hanger, for trailing plants by a window.", priceCents: 3100, stock: 14 },
  { slug: "watering-can", sku: "PLT-303", name: "Indoor Watering Can", description: "A 1 litre can with a long spout that reaches the back of a shelf.", priceCents: 2800, stock: 22 },
  { slug: "plant-mister", sku: "PLT-304", name: "Glass Plant Mister", description: "A fine-mist sprayer for ferns and orchids, in amber glass.", priceCents: 1600, stock: 35 },
  { slug: "soy-candle", sku: "HOM-401", name: "Soy Candle", description: "A 40 hour candle of soy wax with a cotton wick, scented with fig leaf.", priceCents: 2000, stock: 45 },
  { slug: "taper-candles", sku: "HOM-402", name: "Taper Candles", description: "Four dripless beeswax tapers, 25 cm tall, in natural honey colour.", priceCents: 1500, stock: 40 },
  { slug: "brass-candle-holder", sku: "HOM-403", name: "Brass Candle Holder", description: "A weighted holder for standard tapers that will not tip on a tablecloth.", priceCents: 3400, stock: 16 },
  { slug: "canvas-tote", sku: "HOM-404", name: "Canvas Tote", description: "A heavy cotton tote with a flat base and an inside pocket for keys.", priceCents: 2500, stock: 55 },
  { slug: "market-bag", sku: "HOM-405", name: "Net Market Bag", description: "An organic cotton net bag that folds into a fist and carries ten kilos.", priceCents: 1300, stock: 70 },
  { slug: "desk-lamp", sku: "DSK-207", name: "Adjustable Desk Lamp", description: "A steel lamp with a weighted base and a warm 2700 K LED bulb included.", priceCents: 8900, stock: 8 },
  { slug: "reading-light", sku: "DSK-208", name: "Clip-On Reading Light", description: "A rechargeable light that clips to a book or shelf, three brightness steps.", priceCents: 2700, stock: 28 },
  { slug: "wool-throw", sku: "HOM-406", name: "Wool Throw", description: "A 130 by 170 cm throw woven from undyed wool, warm without weight.", priceCents: 9800, stock: 6 },
];
