// Sign-in / sign-out control in the header.
//
// POST /api/v1/auth/login sets an HttpOnly session cookie and returns the CSRF token,
// which api.js then sends on state-changing requests. The cookie is invisible to scripts,
// so a localStorage flag remembers that a session may exist: only then does the page ask
// GET /api/v1/auth/me on start (an anonymous visitor causes no 401 at all).

import { api, errorText, setCsrfToken } from "./api.js";
import { el } from "./dom.js";
import { onLangChange, t } from "./i18n.js";

const SESSION_HINT = "iocmap.signedIn";
export const ROLES = ["admin", "leader", "planner", "officer", "citizen"];

export class AuthControl {
  /**
   * @param root the #auth element; when empty (every page), its controls are built here
   * @param onChange called with the user record, or null, after sign-in / sign-out
   */
  constructor(root, { onChange = () => {} } = {}) {
    if (!root.firstElementChild) {
      root.append(...authMarkup());
      for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    }
    this.root = root;
    this.onChange = onChange;
    this.user = null;
    this.busy = false;
    this.$ = (id) => root.querySelector(`#${id}`);
    this.form = this.$("login-form");
    this.toggle = this.$("login-toggle");
    this.error = this.$("login-error");

    this.toggle.addEventListener("click", () => this.openForm(this.form.hidden));
    this.$("login-cancel").addEventListener("click", () => this.openForm(false));
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.$("logout-button").addEventListener("click", () => this.logout());
    root.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && !this.form.hidden) {
        this.openForm(false);
        this.toggle.focus();
      }
    });
    document.addEventListener("pointerdown", (e) => {
      if (!this.form.hidden && !root.contains(e.target)) this.openForm(false);
    });
    onLangChange(() => this.render());
    this.render();
  }

  /** Pick up an existing cookie session (after a reload) if there may be one. */
  async restore() {
    if (!readHint()) return null;
    try {
      const me = await api("/api/v1/auth/me");
      this.signedIn(me);
    } catch {
      writeHint(false);
      this.user = null;
      setCsrfToken(null);
      this.render();
    }
    return this.user;
  }

  openForm(open) {
    this.form.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      this.showError(null);
      this.$("login-username").focus();
    }
  }

  async submit() {
    if (this.busy) return;
    const username = this.$("login-username").value.trim();
    const password = this.$("login-password").value;
    if (!username || !password) {
      this.showError(t("auth.required"));
      return;
    }
    this.setBusy(true);
    this.showError(null);
    try {
      const me = await api("/api/v1/auth/login", { method: "POST", body: { username, password } });
      this.$("login-password").value = "";
      this.openForm(false);
      this.signedIn(me);
      this.onChange(this.user);
    } catch (err) {
      this.showError(errorText(err));
      this.$("login-password").select();
    } finally {
      this.setBusy(false);
    }
  }

  async logout() {
    try {
      await api("/api/v1/auth/logout", { method: "POST" });
    } catch {
      // an expired session is signed out anyway; the local state is cleared regardless
    }
    setCsrfToken(null);
    writeHint(false);
    this.user = null;
    this.render();
    this.onChange(null);
    this.toggle.focus();
  }

  signedIn(me) {
    this.user = me.user;
    setCsrfToken(me.csrf_token);
    writeHint(true);
    this.render();
  }

  setBusy(busy) {
    this.busy = busy;
    const submit = this.$("login-submit");
    submit.disabled = busy;
    submit.textContent = t(busy ? "auth.signing_in" : "auth.submit");
    this.form.setAttribute("aria-busy", String(busy));
  }

  showError(message) {
    this.error.hidden = !message;
    this.error.textContent = message || "";
  }

  render() {
    const user = this.user;
    this.root.dataset.state = user ? "signed-in" : "anonymous";
    document.body.dataset.role = user ? user.role : "anonymous";
    this.toggle.hidden = Boolean(user);
    this.$("logout-button").hidden = !user;
    const badge = this.$("user-badge");
    badge.hidden = !user;
    if (user) {
      badge.dataset.role = user.role;
      badge.dataset.username = user.username;
      const name = user.full_name || user.username;
      this.$("user-name").textContent = name;
      this.$("user-role").textContent = roleLabel(user.role);
      this.$("user-avatar").textContent = initials(name);
      badge.title = `${user.username} · ${roleLabel(user.role)}`;
    } else {
      delete badge.dataset.role;
      delete badge.dataset.username;
    }
    if (!this.busy) this.$("login-submit").textContent = t("auth.submit");
    // links for some roles only (e.g. the planner page): <a data-roles="planner admin">
    for (const node of document.querySelectorAll("[data-roles]")) {
      node.hidden = !(user && node.dataset.roles.split(/\s+/).includes(user.role));
    }
  }
}

export function roleLabel(role) {
  return ROLES.includes(role) ? t(`role.${role}`) : role;
}

function initials(name) {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const picked = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return picked.map((w) => w[0]).join("").toUpperCase();
}

function readHint() {
  try {
    return window.localStorage.getItem(SESSION_HINT) === "1";
  } catch {
    return false;
  }
}

function writeHint(on) {
  try {
    if (on) window.localStorage.setItem(SESSION_HINT, "1");
    else window.localStorage.removeItem(SESSION_HINT);
  } catch {
    // without storage a reload simply starts signed out
  }
}

/** The sign-in button and form, the user badge and the sign-out button: one copy for all pages. */
function authMarkup() {
  const label = (key, text, props = {}) => el("label", { ...props, dataset: { i18n: key } }, text);
  return [
    el("button", {
      id: "login-toggle", className: "button button-primary", type: "button",
      "aria-expanded": "false", "aria-controls": "login-form", dataset: { i18n: "auth.sign_in" },
    }, "Đăng nhập"),
    el("form", { id: "login-form", className: "login-form", hidden: true, noValidate: true },
      el("h2", { className: "login-title", dataset: { i18n: "auth.form_title" } }, "Đăng nhập"),
      label("auth.username", "Tên đăng nhập", { for: "login-username" }),
      el("input", {
        id: "login-username", name: "username", autocomplete: "username", autocapitalize: "none",
        spellcheck: false, required: true,
      }),
      label("auth.password", "Mật khẩu", { for: "login-password" }),
      el("input", {
        id: "login-password", name: "password", type: "password", autocomplete: "current-password",
        required: true,
      }),
      el("p", { id: "login-error", className: "form-error", role: "alert", hidden: true }),
      el("div", { className: "form-actions" },
        el("button", { id: "login-cancel", className: "button", type: "button", dataset: { i18n: "auth.cancel" } },
          "Hủy"),
        el("button", {
          id: "login-submit", className: "button button-primary", type: "submit",
          dataset: { i18n: "auth.submit" },
        }, "Đăng nhập"))),
    el("div", { id: "user-badge", className: "user-badge", hidden: true },
      el("span", { id: "user-avatar", className: "user-avatar", "aria-hidden": "true" }),
      el("span", { className: "user-text" },
        el("span", { id: "user-name", className: "user-name" }),
        el("span", { id: "user-role", className: "user-role" }))),
    el("button", {
      id: "logout-button", className: "button button-quiet", type: "button", hidden: true,
      dataset: { i18n: "auth.sign_out" },
    }, "Đăng xuất"),
  ];
}
