// Live feedback on the registration form's password (R-RG-1): each rule the
// server will check is listed under the field, and this script marks it met
// or not while the person types. The server checks the same rules (and the
// blocklist and history, which stay on the server) whatever the script says;
// without the script the list is a plain hint.
(function () {
  "use strict";

  var list = document.getElementById("password-rules-live");
  var password = document.getElementById("password");
  if (!list || !password) {
    return;
  }
  var min = parseInt(list.getAttribute("data-min"), 10);
  var max = parseInt(list.getAttribute("data-max"), 10);
  var username = document.getElementById("username");
  var email = document.getElementById("email");

  function contains(value, field) {
    if (!field) {
      return false;
    }
    var text = field.value.trim().toLowerCase();
    return text.length >= 3 && value.toLowerCase().indexOf(text) !== -1;
  }

  function mark(id, met) {
    var item = document.getElementById(id);
    if (item) {
      item.setAttribute("data-met", met ? "yes" : "no");
    }
  }

  function update() {
    var value = password.value;
    var length = Array.from(value).length;
    mark("rule-min-length", length >= min);
    mark("rule-max-length", isNaN(max) || length <= max);
    mark("rule-not-username", value.length > 0 && !contains(value, username));
    mark("rule-not-email", value.length > 0 && !contains(value, email));
  }

  [password, username, email].forEach(function (field) {
    if (field) {
      field.addEventListener("input", update);
    }
  });
  update();
})();
