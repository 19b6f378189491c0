// The administration page (/admin): feedback categories, routing rules and the holiday
// calendar. Admins only: anyone else sees why not, and no configuration is requested.
//
// <body data-access="granted|signed-out|denied">, data-ready="1" once the page has settled,
// data-tab = the open tab.

import { errorText, api } from "./api.js";
import { AuthControl, roleLabel } from "./auth.js";
import { CategoriesTab } from "./admin-categories.js";
import { HolidaysTab } from "./admin-holidays.js";
import { applyAdminI18n, tr } from "./admin-i18n.js";
import { RulesTab } from "./admin-rules.js";
import { fill } from "./dom.js";
import { applyI18n, onLangChange, toggleLang } from "./i18n.js";

const $ = (id) => document.getElementById(id);

class AdminApp {
  constructor() {
    this.ctx = {
      categories: [],
      rules: [],
      agencies: new Map(),
      changed: () => this.render(),
      status: (message, kind = "ok") => this.status(message, kind),
    };
    this.categories = new CategoriesTab(this.ctx);
    this.rules = new RulesTab(this.ctx);
    this.holidays = new HolidaysTab(this.ctx);
    for (const tab of document.querySelectorAll(".admin-tab")) {
      tab.addEventListener("click", () => this.showTab(tab.dataset.tab));
    }
    onLangChange(() => this.render());
  }

  async start() {
    const [agencies] = await Promise.all([
      api("/api/v1/feedback/agencies"),
      this.categories.load(),
      this.rules.load(),
      this.holidays.load(),
    ]);
    this.ctx.agencies = new Map(agencies.map((a) => [a.code, a]));
    this.render();
  }

  render() {
    this.categories.render();
    this.rules.render();
    this.holidays.render();
  }

  showTab(name) {
    for (const tab of document.querySelectorAll(".admin-tab")) {
      const on = tab.dataset.tab === name;
      tab.setAttribute("aria-selected", String(on));
      $(tab.getAttribute("aria-controls")).hidden = !on;
    }
    document.body.dataset.tab = name;
  }

  status(message, kind) {
    const node = $("admin-status");
    node.dataset.kind = kind;
    node.textContent = message;
  }
}

/** Who may use the page: the gate says why not (and no data call is made). */
function gate(user) {
  const body = document.body;
  body.dataset.role = user ? user.role : "anonymous";
  if (!user) {
    body.dataset.access = "signed-out";
    fill($("gate-title"), tr("admin.gate_signed_out_title"));
    fill($("gate-message"), tr("admin.gate_signed_out"));
  } else if (user.role !== "admin") {
    body.dataset.access = "denied";
    fill($("gate-title"), tr("admin.gate_denied_title"));
    fill($("gate-message"), tr("admin.gate_denied", { role: roleLabel(user.role) }));
  } else {
    body.dataset.access = "granted";
  }
  const granted = body.dataset.access === "granted";
  $("admin-gate").hidden = granted;
  $("admin-app").hidden = !granted;
  return granted;
}

async function start() {
  applyI18n(document);
  applyAdminI18n(document);
  $("lang-toggle").addEventListener("click", toggleLang);
  let app = null;
  const enter = async (user) => {
    if (!gate(user)) {
      document.body.dataset.ready = "1";
      return;
    }
    if (app) return;
    document.body.dataset.ready = "0";
    app = new AdminApp();
    window.iocmapAdmin = app;
    try {
      await app.start();
    } catch (err) {
      app.status(tr("admin.load_failed", { message: errorText(err) }), "error");
    }
    document.body.dataset.ready = "1";
  };
  const auth = new AuthControl($("auth"), {
    onChange: (user) => {
      if (!user && app) window.location.reload();
      else enter(user);
    },
  });
  onLangChange(() => {
    if (document.body.dataset.access !== "granted") gate(auth.user);
  });
  await enter(await auth.restore());
}

start();
