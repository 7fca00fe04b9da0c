/**
 * The page the self-check records: a frame counter, a background whose hue turns and a moving bar (so every
 * video frame differs), and a WebAudio tone switching between 440 and 660 Hz (so the audio is never silent).
 * The tone starts without a user gesture: Chromium runs with `--autoplay-policy=no-user-gesture-required`.
 */
export const testPageHtml = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8" />
    <title>recorder self-check</title>
    <style>
      html, body { margin: 0; height: 100%; overflow: hidden; background: #234; font-family: 'DejaVu Sans', sans-serif; }
      #count { position: absolute; top: 30%; width: 100%; text-align: center; font-size: 160px; color: #fff; }
      #bar { position: absolute; bottom: 60px; left: 0; width: 120px; height: 60px; background: #fff; }
    </style>
  </head>
  <body>
    <div id="count">0</div>
    <div id="bar"></div>
    <script>
      const count = document.getElementById('count');
      const bar = document.getElementById('bar');
      let frame = 0;
      function draw() {
        frame += 1;
        count.textContent = String(frame);
        document.body.style.background = 'hsl(' + ((frame * 3) % 360) + ', 60%, 35%)';
        bar.style.transform = 'translateX(' + ((frame * 8) % Math.max(1, innerWidth - 120)) + 'px)';
        requestAnimationFrame(draw);
      }
      requestAnimationFrame(draw);
      const audio = new AudioContext();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      gain.gain.value = 0.3;
      tone.frequency.value = 440;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      setInterval(() => { tone.frequency.value = tone.frequency.value === 440 ? 660 : 440; }, 500);
      void audio.resume();
    </script>
  </body>
</html>
`;
