// kube-ecs console: keeps a page live. The page's <main id="live" data-stream="..."> names its one
// event stream; each "fragment" event is the page's content rendered (and escaped) by the server,
// which replaces the old content: the element #live-part when the page has one (a page whose other
// content is a form being typed into), else the whole of <main>. No other script runs on the
// console's pages.
"use strict";
(function () {
  var main = document.getElementById("live");
  var url = main && main.getAttribute("data-stream");
  if (!url) return;
  var source = new EventSource(url);
  source.addEventListener("open", function () { main.setAttribute("data-live", "open"); });
  source.addEventListener("error", function () { main.setAttribute("data-live", "reconnecting"); });
  var part = document.getElementById("live-part") || main;
  source.addEventListener("fragment", function (event) {
    part.innerHTML = event.data;
    main.setAttribute("data-updated", String(Date.now()));
  });
})();
