// The product's absolute URLs, kept on voicetour's origin (docs/architecture.md, "The product at
// the root"). The product is proxied at the root of this origin, path for path; a page that names
// its own origin in full (http://product.example/assets/app.css, a fetch() to
// http://product.example/api/...) would load from there, cross-origin: fonts and API calls fail
// for want of CORS. This worker answers such requests from the same path here. Nothing else is
// touched: requests to other origins, and navigations (the tour page keeps links on this origin).
"use strict";
const PRODUCT = new URL(self.location.href).searchParams.get("product") || "";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (!PRODUCT || request.mode === "navigate") return;
  const url = new URL(request.url);
  if (url.origin !== PRODUCT) return;
  const here = new URL(url.pathname + url.search, self.location.origin);
  event.respondWith(fetch(new Request(here, request)));
});
