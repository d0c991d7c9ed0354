// One polite live region for what screen-reader users should hear about the room (who
// joined or left, hands going up and down). Chat has its own log region.
const region = () => document.getElementById("announcer");
let clearing = null;

export function announce(text) {
  const node = region();
  if (!node) return;
  // Appending (not replacing) lets several changes in a row all be read.
  const line = document.createElement("p");
  line.textContent = text;
  node.append(line);
  clearTimeout(clearing);
  clearing = setTimeout(() => node.replaceChildren(), 5000);
}
