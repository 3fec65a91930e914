// The game picker filters its cards as people change the filters (the form still works
// without this script: it is a GET form the server answers with the same filters).

export function setupGamePicker(section, signal) {
  const form = section.querySelector("[data-picker-form]");
  const count = section.querySelector("[data-picker-count]");
  const cards = [...section.querySelectorAll(".game-card")];
  if (!form || !count) return;
  section.classList.add("picker-js");
  const apply = () => {
    const people = parseInt(form.elements.people.value, 10);
    const length = parseInt(form.elements.length.value, 10);
    const voice = form.elements.voice.value;
    let shown = 0;
    for (const card of cards) {
      const d = card.dataset;
      const fits =
        (!(people > 0) || (people >= +d.min && people <= +d.max)) &&
        (!(length > 0) || +d.shortest <= length) &&
        !(voice === "optional" && d.voice === "needed");
      card.hidden = !fits;
      if (fits) shown += 1;
    }
    count.textContent =
      shown === 0 ? count.dataset.tNone : shown === 1 ? count.dataset.tOne : count.dataset.tMany.replace("{n}", shown);
  };
  form.addEventListener("input", apply, { signal });
  form.addEventListener("change", apply, { signal });
  form.addEventListener("submit", (e) => { e.preventDefault(); apply(); }, { signal });
}
