// repub serve works without this file: it only submits the search form when a filter menu changes.
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.tagName === "SELECT" && field.form && field.form.classList.contains("search")) {
    field.form.submit();
  }
});
