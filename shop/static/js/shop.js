// Remedy Shop: progressive enhancement only. Every feature works without this file.
(function () {
  "use strict";
  // Keep quantity inputs within their limits as the shopper types.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.name !== "quantity") return;
    var value = parseInt(input.value, 10);
    var min = parseInt(input.min || "1", 10);
    var max = parseInt(input.max || "0", 10);
    if (isNaN(value) || value < min) input.value = String(min);
    else if (max && value > max) input.value = String(max);
  });
})();
