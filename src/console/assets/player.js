// A recording's player: the form asks for the reason first; the audio element then streams
// GET /recordings/:id/audio?reason=… (access-logged by the API, HTTP Range for seeking).
for (const form of document.querySelectorAll('form[data-player]')) {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reason = form.querySelector('[name=reason]').value.trim();
    if (!reason) return;
    const audio = document.getElementById(form.dataset.player);
    audio.src = `${form.getAttribute('action')}?reason=${encodeURIComponent(reason)}`;
    audio.hidden = false;
    audio.focus();
    void audio.play().catch(() => undefined);
  });
}
