// Copy buttons of the back office: <button data-copy="#id-of-element-holding-the-text">.
// No inline script (the CSP refuses it): this file binds every such button once the page is read.
document.addEventListener("click", function (event) {
  var button = event.target.closest("button[data-copy]");
  if (!button) { return; }
  var source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) { return; }
  var text = source.value !== undefined ? source.value : source.textContent;
  var done = function () {
    var label = button.textContent;
    button.textContent = "Copied";
    setTimeout(function () { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text.trim()).then(done);
  } else {
    var area = document.createElement("textarea");
    area.value = text.trim(); document.body.appendChild(area); area.select();
    document.execCommand("copy"); document.body.removeChild(area); done();
  }
});
