// The event form: "who will see it" follows the chosen room while "Like the room" is chosen.

export function setupVisibility(select) {
  const form = select.form;
  const room = form.querySelector("select[name=room]");
  const help = form.querySelector("[data-visibility-help]");
  if (!room || !help) return;
  const update = () => {
    let level = select.value;
    if (level === "room") level = room.selectedOptions[0]?.dataset.visibility || "members";
    const key = `t${level.charAt(0).toUpperCase()}${level.slice(1)}`;
    if (help.dataset[key]) help.textContent = help.dataset[key];
  };
  room.addEventListener("change", update);
  select.addEventListener("change", update);
}
