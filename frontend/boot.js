// Loads the WebAssembly app. A file, not an inline script, so the page's CSP allows no inline code.
// `just spa` puts the build's folder into the path: /pkg/<hash of the build>/inbox.js.
import init from "/pkg/inbox.js";

// A code chunk (the split panel's, the bulk bar's, a page's) is fetched when first needed, maybe
// long after the page opened: a dropped connection or a server restarting gets two more tries
// before the app gives up on the chunk. One the server does not have (a 4xx) is not tried again.
const plainFetch = window.fetch.bind(window);
const CHUNK_TRIES = 3;
window.fetch = async (input, options) => {
  const path = new URL(input instanceof Request ? input.url : input, location.href).pathname;
  if (!(path.startsWith("/pkg/") && path.endsWith(".wasm"))) return plainFetch(input, options);
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await plainFetch(input, options);
      if (response.status < 500 || attempt === CHUNK_TRIES) return response;
    } catch (error) {
      if (attempt === CHUNK_TRIES) throw error;
    }
    await new Promise((wait) => setTimeout(wait, 500 * 2 ** (attempt - 1)));
  }
};

// A panic (a chunk that could not be loaded, or a bug) stops the app for good: what it would run
// next is undefined. Say so and offer the reload that starts it afresh, rather than leave a page
// that silently no longer answers.
function showStopped() {
  if (document.getElementById("app-stopped")) return;
  const notice = document.createElement("div");
  notice.id = "app-stopped";
  notice.className = "app-stopped";
  notice.setAttribute("role", "alert");
  const text = document.createElement("p");
  text.textContent =
    "AI Inbox stopped after an error: part of the app could not be loaded (the connection, or a newer version on the server), or a fault. Changes you had not saved are not kept.";
  // A button, not a link: the app's router would take a link's click to the stopped app.
  const reload = document.createElement("button");
  reload.type = "button";
  reload.textContent = "Reload AI Inbox";
  reload.addEventListener("click", () => location.reload());
  notice.append(text, reload);
  document.body.append(notice);
}
const stopping = (error) => error instanceof WebAssembly.RuntimeError;
addEventListener("error", (event) => stopping(event.error) && showStopped());
addEventListener("unhandledrejection", (event) => stopping(event.reason) && showStopped());

init();
