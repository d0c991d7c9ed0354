// The resources of a room or a series as rows the admin edits (title, category, phone,
// link, language, description), read back as the list the API takes. The server checks
// every field; this only gathers them. Text goes in and out through .value/.textContent.
const CATEGORIES = [
  ["crisis", "Crisis line"],
  ["local", "Local organisation"],
  ["reading", "Reading"],
  ["coping", "Coping exercise"],
];
const FIELDS = ["title", "phone", "link", "language", "description"];
const LABELS = { title: "Title", phone: "Phone", link: "Link (https://…)", language: "Language (e.g. en)", description: "Description" };

let counter = 0;

function field(kind, value, row) {
  const id = `resource-${row}-${kind}`;
  const wrap = document.createElement("div");
  wrap.className = "field";
  const label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = `${LABELS[kind]}, resource ${row}`;
  const input = document.createElement(kind === "description" ? "textarea" : "input");
  input.id = id;
  input.dataset.kind = kind;
  input.value = value ?? "";
  if (kind === "description") input.rows = 2;
  wrap.append(label, input);
  return wrap;
}

export function mountResourceEditor(list, addButton) {
  function addRow(resource = {}) {
    counter += 1;
    const item = document.createElement("li");
    item.className = "resource-row";
    const category = document.createElement("select");
    category.id = `resource-${counter}-category`;
    category.dataset.kind = "category";
    for (const [value, text] of CATEGORIES) category.add(new Option(text, value));
    category.value = resource.category ?? "local";
    const categoryLabel = document.createElement("label");
    categoryLabel.htmlFor = category.id;
    categoryLabel.textContent = `Kind, resource ${counter}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Remove";
    remove.setAttribute("aria-label", `Remove resource ${counter}`);
    remove.addEventListener("click", () => item.remove());
    item.append(...FIELDS.slice(0, 1).map((k) => field(k, resource[k], counter)));
    const kind = document.createElement("div");
    kind.className = "field";
    kind.append(categoryLabel, category);
    item.append(kind, ...FIELDS.slice(1).map((k) => field(k, resource[k], counter)), remove);
    list.append(item);
    return item;
  }

  addButton.addEventListener("click", () => addRow().querySelector("input")?.focus());

  return {
    set(resources) {
      list.replaceChildren();
      for (const resource of resources ?? []) addRow(resource);
    },
    // Only the fields that were filled in; the server fills the rest with "".
    get() {
      return [...list.children].map((item) => {
        const resource = {};
        for (const input of item.querySelectorAll("[data-kind]")) {
          const value = input.value.trim();
          if (value) resource[input.dataset.kind] = value;
        }
        return resource;
      }).filter((r) => Object.keys(r).some((k) => k !== "category"));
    },
  };
}
