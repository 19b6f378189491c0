// Staff pages (inbox, IOC, admin) behind a role gate. A signed-out or wrong-role visitor gets
// an explanation and no data calls; the page's app starts once for the signed-in user, and
// another account signing in (or the user signing out) reloads the page so nothing stays.

import { AuthControl, roleLabel } from "./auth.js";
import { fill } from "./dom.js";
import { onLangChange, toggleLang } from "./i18n.js";

/**
 * @param {object} page
 * @param {string[]} page.roles   roles that may use the page
 * @param {string} page.prefix    the page's elements `${prefix}-gate` and `${prefix}-app`
 * @param {Function} page.text    translation function for the keys below
 * @param {{signedOutTitle: string, signedOut: string, deniedTitle: string, denied: string}} page.keys
 * @param {(user: object) => {start: Function}} page.create   the app of a granted user
 * @param {(err: Error, app: object) => void} page.failed    shows an error of app.start()
 */
export async function runGatedPage({ roles, prefix, text, keys, create, failed }) {
  const $ = (id) => document.getElementById(id);
  const body = document.body;
  const gate = (user) => {
    if (!user) {
      body.dataset.access = "signed-out";
      fill($("gate-title"), text(keys.signedOutTitle));
      fill($("gate-message"), text(keys.signedOut));
    } else if (!roles.includes(user.role)) {
      body.dataset.access = "denied";
      fill($("gate-title"), text(keys.deniedTitle));
      fill($("gate-message"), text(keys.denied, { role: roleLabel(user.role) }));
    } else {
      body.dataset.access = "granted";
    }
    const granted = body.dataset.access === "granted";
    $(`${prefix}-gate`).hidden = granted;
    $(`${prefix}-app`).hidden = !granted;
    return granted;
  };

  $("lang-toggle").addEventListener("click", toggleLang);
  let app = null;
  let owner = null;
  const enter = async (user) => {
    if (!gate(user)) {
      body.dataset.ready = "1";
      return;
    }
    if (app && owner === user.username) return;
    if (app) {
      window.location.reload();
      return;
    }
    body.dataset.ready = "0";
    owner = user.username;
    app = create(user);
    try {
      await app.start();
    } catch (err) {
      failed(err, app);
    }
    body.dataset.ready = "1";
  };
  const auth = new AuthControl($("auth"), {
    onChange: (user) => {
      if (!user && app) window.location.reload();
      else enter(user);
    },
  });
  onLangChange(() => {
    if (body.dataset.access !== "granted") gate(auth.user);
  });
  await enter(await auth.restore());
}
