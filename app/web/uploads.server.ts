// Serves uploaded product images from <data dir>/uploads (see
// app/store/images.server.ts). File names are the SHA-256 of their content, so
// a name never points at different bytes: cache for a year, immutable. Only
// names of that exact shape are looked up; anything else falls through to
// the store's 404 page. nosniff and a CSP that allows nothing, in case a
// browser is ever asked to treat one of these files as a document.
import express, { type NextFunction, type Request, type Response } from "express";
import { STORED_IMAGE, uploadsDirectory } from "#app/store/images.server.ts";

export function productImages(databasePath: string) {
  const files = express.static(uploadsDirectory(databasePath), {
    immutable: true,
    maxAge: "1y",
    index: false,
    redirect: false,
    setHeaders(res) {
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.setHeader("Content-Security-Policy", "default-src 'none'");
    },
  });
  return (req: Request, res: Response, next: NextFunction) => (STORED_IMAGE.test(req.path) ? files(req, res, next) : next());
}
