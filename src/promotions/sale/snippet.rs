//! The countdown for the storefront theme.

use super::*;

/// A countdown to the sale's end for the storefront theme: plain HTML and
/// JavaScript, no dependencies; it shows the time left and hides itself
/// when the sale is over.
pub fn countdown_snippet(s: &Sale) -> String {
    let id = format!("md-countdown-{}", s.id);
    let name = s
        .file
        .name
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        r#"<div id="{id}" style="font-weight:600">{name} ends in <span>…</span></div>
<script>
(function () {{
  var end = Date.parse("{end}");
  var box = document.getElementById("{id}");
  function pad(n) {{ return (n < 10 ? "0" : "") + n; }}
  function tick() {{
    var left = Math.floor((end - Date.now()) / 1000);
    if (left <= 0) {{ box.style.display = "none"; return; }}
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600),
        m = Math.floor(left % 3600 / 60), s = left % 60;
    box.querySelector("span").textContent = (d > 0 ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    setTimeout(tick, 1000);
  }}
  tick();
}})();
</script>
"#,
        end = s.ends_at
    )
}
