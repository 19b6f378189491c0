// Every visible string of the page goes through here: Vietnamese by default, English on demand.
//
// Static markup carries data-i18n="key" (textContent), data-i18n-placeholder, data-i18n-title
// and data-i18n-aria-label; applyI18n() fills them. Scripts call t("key", {param}) and
// re-render on onLangChange(). The choice is remembered in localStorage.

const STORAGE_KEY = "iocmap.lang";
export const LANGS = ["vi", "en"];

const DICT = {
  vi: {
    "app.title": "iocmap — Bản đồ điều hành Đắk Mil",
    "app.product": "iocmap",
    "app.subtitle": "Bản đồ điều hành Đắk Mil",
    "app.loading": "Đang tải bản đồ…",
    "app.load_failed": "Không tải được bản đồ: {message}",
    "lang.switch": "EN",
    "lang.switch_title": "Switch to English",
    "sidebar.toggle": "Bảng điều khiển",
    "sidebar.close": "Đóng bảng",
    "layers.heading": "Lớp bản đồ",
    "layers.base_heading": "Nền bản đồ",
    "layers.osm": "OpenStreetMap (cần Internet)",
    "layers.osm_failed": "Không tải được nền OpenStreetMap (không có Internet?) — đã tắt.",
    "layers.loading": "Đang tải lớp…",
    "layers.empty": "Không có lớp nào.",
    "layers.failed": "Lỗi tải lớp «{title}»: {message}",
    "layers.internal": "nội bộ",
    "layers.credits": "Nguồn dữ liệu",
    "layers.source": "Nguồn: {source}",
    "layers.licence": "Giấy phép: {licence}",
    "layers.zoom_hint": "Hiện ở mức thu phóng {min}–{max}",
    "group.boundaries": "Ranh giới hành chính",
    "group.other": "Khác",
    "info.heading": "Thông tin",
    "info.hint": "Chọn một xã trên bản đồ để xem thông tin.",
    "info.close": "Bỏ chọn",
    "info.type": "Loại",
    "info.code": "Mã GSO",
    "info.population": "Dân số 2019",
    "info.population_split": "thành thị {urban} · nông thôn {rural}",
    "info.area": "Diện tích",
    "info.area_value": "{value} km²",
    "info.density": "Mật độ",
    "info.density_value": "{value} người/km²",
    "info.validity": "Hiệu lực",
    "info.valid_range": "{from} – {to}",
    "info.valid_until": "đến {to}",
    "info.valid_since": "từ {from}",
    "info.valid_always": "không giới hạn",
    "info.successors": "Từ 01/07/2025 thuộc",
    "info.successor_item": "{name} (mã {code}, từ {from})",
    "info.predecessors": "Hợp nhất từ",
    "info.predecessor_item": "{name} (mã {code}, đến {to})",
    "info.note": "Ghi chú",
    "info.incomplete": "Ranh giới chưa đầy đủ",
    "info.source": "Nguồn",
    "info.unknown": "không rõ",
    "info.show_on_map": "Xem trên bản đồ",
    "unit.Xã": "Xã",
    "unit.Thị trấn": "Thị trấn",
    "unit.Huyện": "Huyện",
    "unit.Tỉnh": "Tỉnh",
    "unit.Phường": "Phường",
    "auth.sign_in": "Đăng nhập",
    "auth.sign_out": "Đăng xuất",
    "auth.username": "Tên đăng nhập",
    "auth.password": "Mật khẩu",
    "auth.submit": "Đăng nhập",
    "auth.cancel": "Hủy",
    "auth.signing_in": "Đang đăng nhập…",
    "auth.anonymous": "Khách",
    "auth.form_title": "Đăng nhập cán bộ / người dân",
    "auth.required": "Nhập tên đăng nhập và mật khẩu.",
    "role.admin": "Quản trị",
    "role.leader": "Lãnh đạo",
    "role.planner": "Quy hoạch",
    "role.officer": "Cán bộ xử lý",
    "role.citizen": "Người dân",
    "error.network": "Không kết nối được máy chủ.",
    "error.unexpected": "Lỗi không xác định (HTTP {status}).",
    "map.coords": "{lat}, {lon}",
  },
  en: {
    "app.title": "iocmap — Đắk Mil operations map",
    "app.product": "iocmap",
    "app.subtitle": "Đắk Mil operations map",
    "app.loading": "Loading the map…",
    "app.load_failed": "Could not load the map: {message}",
    "lang.switch": "VI",
    "lang.switch_title": "Chuyển sang tiếng Việt",
    "sidebar.toggle": "Control panel",
    "sidebar.close": "Close panel",
    "layers.heading": "Map layers",
    "layers.base_heading": "Base map",
    "layers.osm": "OpenStreetMap (needs Internet)",
    "layers.osm_failed": "OpenStreetMap tiles could not be loaded (no Internet?) — turned off.",
    "layers.loading": "Loading layers…",
    "layers.empty": "No layers.",
    "layers.failed": "Could not load “{title}”: {message}",
    "layers.internal": "internal",
    "layers.credits": "Data sources",
    "layers.source": "Source: {source}",
    "layers.licence": "Licence: {licence}",
    "layers.zoom_hint": "Shown at zoom {min}–{max}",
    "group.boundaries": "Administrative boundaries",
    "group.other": "Other",
    "info.heading": "Details",
    "info.hint": "Select a commune on the map to see its details.",
    "info.close": "Clear selection",
    "info.type": "Type",
    "info.code": "GSO code",
    "info.population": "Population 2019",
    "info.population_split": "urban {urban} · rural {rural}",
    "info.area": "Area",
    "info.area_value": "{value} km²",
    "info.density": "Density",
    "info.density_value": "{value} people/km²",
    "info.validity": "Valid",
    "info.valid_range": "{from} – {to}",
    "info.valid_until": "until {to}",
    "info.valid_since": "since {from}",
    "info.valid_always": "no limit",
    "info.successors": "Since 1 July 2025 part of",
    "info.successor_item": "{name} (code {code}, from {from})",
    "info.predecessors": "Merged from",
    "info.predecessor_item": "{name} (code {code}, until {to})",
    "info.note": "Note",
    "info.incomplete": "Boundary incomplete",
    "info.source": "Source",
    "info.unknown": "unknown",
    "info.show_on_map": "Show on the map",
    "unit.Xã": "Commune",
    "unit.Thị trấn": "Township",
    "unit.Huyện": "District",
    "unit.Tỉnh": "Province",
    "unit.Phường": "Ward",
    "auth.sign_in": "Sign in",
    "auth.sign_out": "Sign out",
    "auth.username": "Username",
    "auth.password": "Password",
    "auth.submit": "Sign in",
    "auth.cancel": "Cancel",
    "auth.signing_in": "Signing in…",
    "auth.anonymous": "Guest",
    "auth.form_title": "Sign in (staff / citizens)",
    "auth.required": "Enter your username and password.",
    "role.admin": "Administrator",
    "role.leader": "Leader",
    "role.planner": "Planner",
    "role.officer": "Case officer",
    "role.citizen": "Citizen",
    "error.network": "Cannot reach the server.",
    "error.unexpected": "Unexpected error (HTTP {status}).",
    "map.coords": "{lat}, {lon}",
  },
};

const LOCALES = { vi: "vi-VN", en: "en-GB" };

let current = readStoredLang();
const listeners = new Set();

function readStoredLang() {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    if (LANGS.includes(stored)) return stored;
  } catch {
    // storage may be disabled (private mode); Vietnamese stays the default
  }
  return "vi";
}

export function getLang() {
  return current;
}

export function setLang(lang) {
  if (!LANGS.includes(lang) || lang === current) return;
  current = lang;
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // not remembered, still switched
  }
  applyI18n(document);
  for (const fn of listeners) fn(lang);
}

export function toggleLang() {
  setLang(current === "vi" ? "en" : "vi");
}

/** Subscribe to language changes; returns an unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Translate a key, substituting {name} placeholders; an unknown key shows itself. */
export function t(key, params = {}) {
  const template = DICT[current][key] ?? DICT.vi[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/** Whether a key exists (to translate data values such as unit types only when known). */
export function has(key) {
  return key in DICT[current];
}

/** Pick the current language's member of a bilingual record: pick(layer, "title"). */
export function pick(record, field) {
  const own = record[`${field}_${current}`];
  return own ?? record[`${field}_vi`] ?? record[`${field}_en`] ?? "";
}

export function formatNumber(value, digits = 0) {
  return new Intl.NumberFormat(LOCALES[current], {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value);
}

/** An ISO date (YYYY-MM-DD) as dd/mm/yyyy (vi) or "1 Jul 2025" (en). */
export function formatDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const opts = current === "vi"
    ? { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" }
    : { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat(LOCALES[current], opts).format(day);
}

/** Fill the data-i18n* hooks under root and set <html lang> and the document title. */
export function applyI18n(root = document) {
  document.documentElement.lang = current;
  document.title = t("app.title");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const [attr, data] of [
    ["placeholder", "i18nPlaceholder"],
    ["title", "i18nTitle"],
    ["aria-label", "i18nAriaLabel"],
  ]) {
    for (const el of root.querySelectorAll(`[data-${toKebab(data)}]`)) {
      el.setAttribute(attr, t(el.dataset[data]));
    }
  }
}

function toKebab(name) {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
