// Pincode check without leaving the page. The form is a plain GET to /delivery/check and
// works without this file; here we ask for JSON and show the answer beside the form.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-pincode-check")) return;
    if (!window.fetch || !window.URLSearchParams) return;
    event.preventDefault();
    var input = form.querySelector('input[name="pincode"]');
    var result = form.querySelector(".pincode-result");
    var url = form.action + "?" + new URLSearchParams({ pincode: input.value.trim() });
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          result.textContent = data.message || "Please try again.";
          result.classList.toggle("pincode-no", !response.ok || !data.serviceable);
          result.classList.toggle("pincode-ok", response.ok && Boolean(data.serviceable));
        });
      })
      .catch(function () {
        form.submit(); // fall back to the plain page
      });
  });
})();
