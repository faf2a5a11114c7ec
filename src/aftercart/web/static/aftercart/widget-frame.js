/*
 * Inside the widget's frame: tell the host page how tall the widget is, whenever that changes
 * (the opt-in's answer, a font loading, a narrower screen), so widget.js sizes the frame to fit.
 *
 * The message carries the height and the page's title ("Your order with <store>") and nothing
 * about the order. Its target is "*" because the frame cannot know which of the store's sites it
 * is on; only those sites can frame it (frame-ancestors), so only they can receive it.
 */
(function () {
  "use strict";
  if (window.parent === window || !window.ResizeObserver) {
    return;
  }
  var last = 0;
  function report() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) {
      return;
    }
    last = height;
    window.parent.postMessage({ aftercart: "widget", height: height, title: document.title }, "*");
  }
  new ResizeObserver(report).observe(document.documentElement);
  window.addEventListener("load", report);
})();
