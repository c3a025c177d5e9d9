// The app is a client-only SPA: the gateway serves the static build, and every request carries the
// HttpOnly session cookie from the browser, so there is nothing to render on a server.
export const ssr = false;
export const prerender = false;
