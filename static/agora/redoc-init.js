// Starts Redoc on /api/redoc/ (templates/api_docs/redoc.html) under the site's CSP: a static file (no inline
// script), loaded *before* the Redoc bundle so that what the bundle adds at load time already complies.
// - Redoc's bundle inserts <style> elements while it loads, before `Redoc.init` could hand it the nonce:
//   every <style> element added to the page gets this script's nonce first (the page allows only those).
// - Its sidebar footer shows Redocly's logo from cdn.redoc.ly: nothing is loaded from outside, so that image
//   gets no source (api-docs.css hides it). System fonts, no web fonts.
"use strict";
(function () {
  const script = document.currentScript;
  const data = script.dataset;
  const nonce = script.nonce;

  const withNonce = (node) => {
    if (node instanceof HTMLStyleElement && !node.nonce) node.setAttribute("nonce", nonce);
    return node;
  };
  for (const name of ["appendChild", "insertBefore"]) {
    const original = Node.prototype[name];
    Node.prototype[name] = function (node, ...rest) {
      return original.call(this, withNonce(node), ...rest);
    };
  }
  const outside = (value) => new URL(String(value), document.baseURI).origin !== window.location.origin;
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src" && outside(value)) return;
    setAttribute.call(this, name, value);
  };
  const src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    ...src,
    set(value) {
      if (!outside(value)) src.set.call(this, value);
    },
  });

  const system = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  const options = Object.assign(
    { nonce, theme: { typography: { fontFamily: system, headings: { fontFamily: system } } } },
    data.settings ? JSON.parse(data.settings) : {},
  );
  document.addEventListener("DOMContentLoaded", () => {
    window.Redoc.init(data.schemaUrl, options, document.getElementById("redoc-container"));
  });
})();
