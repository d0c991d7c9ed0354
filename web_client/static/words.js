// The words the page shows for what the server says: every refusal code and every way a
// visit ends, from one catalogue (words/en.js). The server's own English (an error's
// "message") never reaches the page; only people's own words (names, chat, reasons) do.
//
// A translation is a file words/<language>.js with the same keys: the browser's first
// preferred language that has one is used, and any key it lacks is said in English.
import en from "./words/en.js";

let words = en;
let chosen = "en"; // the language of the catalogue in use

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

// A translation's entries over English's; a plural entry ({one, other, …}) is taken whole,
// so a language's forms never mix with English ones.
function merged(base, extra) {
  const out = { ...base };
  for (const [key, value] of Object.entries(extra ?? {})) {
    const section = typeof value === "object" && value !== null && !("other" in value);
    out[key] = section ? merged(base?.[key], value) : value;
  }
  return out;
}

// Picks the catalogue for the browser's languages (English when none is shipped).
export async function chooseLanguage(languages = navigator.languages ?? []) {
  for (const tag of languages) {
    const language = String(tag).toLowerCase().split("-")[0];
    if (language === "en") break;
    if (!/^[a-z]{2,3}$/.test(language)) continue;
    try {
      words = merged(en, (await import(`./words/${language}.js`)).default);
      return (chosen = language);
    } catch {
      // No catalogue for this language: try the next one.
    }
  }
  words = en;
  return (chosen = "en");
}

// A time as the visitor reads it: their own time zone and language.
export function whenText(ms) {
  return new Intl.DateTimeFormat([], {
    weekday: "long", day: "numeric", month: "long", hour: "numeric", minute: "2-digit",
  }).format(new Date(ms));
}

// What to tell someone about a refusal ({code, opens_at?}).
export function refusal(error) {
  const code = String(error?.code ?? "");
  if (code === "room_not_open" && Number.isFinite(error.opens_at)) {
    return fill(words.errors.room_not_open_at, { when: whenText(error.opens_at) });
  }
  return words.errors[code] ?? words.errors.unknown;
}

// The title and text for how a visit ended (see words/en.js "ended").
export function ending(kind, values = {}) {
  const { title, text } = words.ended[kind] ?? words.ended.gone;
  return { title: fill(title, values), text: fill(text, values) };
}

export function notice(key) {
  return words.notices[key] ?? "";
}

const find = (catalogue, path) => path.split(".").reduce((node, key) => node?.[key], catalogue);

// Any other sentence of the catalogue, by its path ("verify.changed", "events.joined"),
// with its {values} filled in. An entry with plural forms is chosen by {count}, with the
// language's own rules. A key the catalogue lacks is a bug: it says so loudly.
export function say(path, values = {}) {
  let text = find(words, path) ?? find(en, path);
  if (text !== null && typeof text === "object" && "other" in text) {
    const form = new Intl.PluralRules(chosen).select(Number(values.count));
    text = text[form] ?? text.other;
  }
  if (typeof text !== "string") throw new Error(`no words for ${path}`);
  return fill(text, values);
}

// Puts the catalogue's words on the page's own labels (index.html: data-words="page.…"
// for the text, data-words-label for an aria-label). The page is written in English, so
// only a translation changes anything.
export function translatePage(root = document) {
  if (chosen === "en") return;
  for (const node of root.querySelectorAll("[data-words]")) node.textContent = say(node.dataset.words);
  for (const node of root.querySelectorAll("[data-words-label]")) {
    node.setAttribute("aria-label", say(node.dataset.wordsLabel));
  }
}

// A place in a line, "2nd", by the language's ordinal rules.
export function ordinal(n) {
  const forms = words.ordinal ?? en.ordinal;
  const form = new Intl.PluralRules(chosen, { type: "ordinal" }).select(n);
  return fill(forms[form] ?? forms.other, { count: n });
}

// Names joined the language's way: "Sam and Kim", "Sam, Kim and Lee".
export function list(names) {
  return new Intl.ListFormat(chosen, { type: "conjunction" }).format(names);
}
