// "Copy" buttons: <button data-copy="#id"> copies the text of the element #id to the clipboard
// and says so on the button. The shown-once token secret uses it.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.querySelector(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch {
      // No clipboard (plain HTTP on another host): select it for Ctrl+C instead.
      getSelection().selectAllChildren(source);
      button.textContent = "Press Ctrl+C to copy";
    }
  });
}
