/*
 * Aftercart order-confirmation widget: the loader a store puts on its thank-you page.
 *
 *   <div data-aftercart-widget="/w/<store>/<token>" data-lang="fr"></div>
 *   <script src="https://<aftercart host>/static/aftercart/widget.js" async></script>
 *   <noscript><iframe src="https://<aftercart host>/w/<store>/<token>" ...></iframe></noscript>
 *
 * It puts an <iframe> to the widget in each placeholder and sizes it to the widget's height, which
 * the widget posts (widget-frame.js). It works under a strict Content-Security-Policy on the host
 * page: no inline script, no inline style (sizes are the iframe's width/height attributes), no
 * eval; the host allows this host in script-src and frame-src (docs/widget.md). It only ever frames
 * widget pages of the host it was loaded from, and only listens to messages from that origin and
 * from one of its own frames.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src || !window.URL || !window.postMessage) {
    return;
  }
  var origin = new URL(script.src).origin;
  var frames = [];

  function mount(holder) {
    if (holder.getAttribute("data-aftercart-mounted")) {
      return;
    }
    var url;
    try {
      url = new URL(holder.getAttribute("data-aftercart-widget") || "", origin);
    } catch (error) {
      return;
    }
    if (url.origin !== origin || url.pathname.indexOf("/w/") !== 0) {
      return;
    }
    var lang = holder.getAttribute("data-lang");
    if (lang) {
      url.searchParams.set("lang", lang);
    }
    var frame = document.createElement("iframe");
    frame.src = url.href;
    // Replaced by the widget's own (translated) title once it loads.
    frame.title = holder.getAttribute("data-title") || "Order updates";
    frame.setAttribute("width", "100%");
    frame.setAttribute("height", holder.getAttribute("data-height") || "420");
    frame.setAttribute("frameborder", "0");
    holder.setAttribute("data-aftercart-mounted", "1");
    holder.appendChild(frame);
    frames.push(frame);
  }

  function mountAll() {
    var holders = document.querySelectorAll("[data-aftercart-widget]");
    for (var i = 0; i < holders.length; i += 1) {
      mount(holders[i]);
    }
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) {
      return;
    }
    var data = event.data;
    if (!data || typeof data !== "object" || data.aftercart !== "widget") {
      return;
    }
    for (var i = 0; i < frames.length; i += 1) {
      if (frames[i].contentWindow !== event.source) {
        continue;
      }
      var height = Math.ceil(Number(data.height));
      if (height > 0 && height < 5000) {
        frames[i].setAttribute("height", String(height));
      }
      if (typeof data.title === "string" && data.title) {
        frames[i].title = data.title.slice(0, 200);
      }
    }
  });

  mountAll();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
  }
})();
