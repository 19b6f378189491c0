// The reports sent from this browser: code, title and private link, kept in localStorage so
// a citizen who closed the confirmation screen can still find their private link. Nothing
// leaves the device; the list is capped and can be cleared.

const KEY = "iocmap.myReports";
const LIMIT = 20;

/** [{code, token, title, at}], newest first. */
export function myReports() {
  try {
    const list = JSON.parse(window.localStorage.getItem(KEY) || "[]");
    return Array.isArray(list) ? list.filter((r) => r && typeof r.code === "string") : [];
  } catch {
    return [];
  }
}

export function rememberReport({ code, token, title }) {
  const list = myReports().filter((r) => r.code !== code);
  list.unshift({ code, token, title, at: new Date().toISOString() });
  try {
    window.localStorage.setItem(KEY, JSON.stringify(list.slice(0, LIMIT)));
  } catch {
    // storage disabled: the confirmation screen still shows the link
  }
}

export function forgetReports() {
  try {
    window.localStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
}

/** The private link of a report (the token travels in the fragment, never to the server's logs). */
export function privateLink(token) {
  return `${window.location.origin}/track#token=${encodeURIComponent(token)}`;
}
