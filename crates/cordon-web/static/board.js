// The board's print button (a script of its own: the pages allow no inline script).
document.getElementById("print")?.addEventListener("click", () => window.print());
