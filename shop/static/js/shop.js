// Remedy Shop: progressive enhancement only. Every form works without this file.
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

  function status(form, text, isError) {
    var note = form.querySelector(".add-status");
    if (!note) {
      note = document.createElement("p");
      note.className = "add-status";
      note.setAttribute("role", "status");
      form.appendChild(note);
    }
    note.textContent = text;
    note.classList.toggle("add-status-error", Boolean(isError));
  }

  // Add to cart without leaving the page; the header's count follows.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("add-to-cart")) return;
    if (!window.fetch || !window.FormData) return;
    event.preventDefault();
    // A second press while the first is on its way does nothing. The button is not
    // disabled (that would throw keyboard focus back to the top of the page): focus
    // stays on it, and the status line beside it is read out.
    if (form.getAttribute("aria-busy") === "true") return;
    form.setAttribute("aria-busy", "true");
    var button = form.querySelector("button");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok || !data.ok) throw new Error(data.error || "Could not add that item.");
          document.querySelectorAll("[data-cart-count]").forEach(function (el) {
            el.textContent = String(data.count);
          });
          status(form, data.message + " ", false);
          var link = document.createElement("a");
          link.href = "/cart";
          link.textContent = "View cart";
          form.querySelector(".add-status").appendChild(link);
        });
      })
      .catch(function (error) {
        status(form, error.message || "Could not add that item. Please try again.", true);
      })
      .finally(function () {
        form.removeAttribute("aria-busy");
        if (button && document.activeElement === document.body) button.focus();
      });
  });
})();
