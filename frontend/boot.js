// Loads the WebAssembly app. A file, not an inline script, so the page's CSP allows no inline code.
import init from "/pkg/inbox.js";
init();
