// Runs the WebAuthn ceremony of the page (W3C WebAuthn Level 3): reads the
// options the server embedded in #webauthn-options, asks the browser to
// create or use a credential, and posts the answer, base64url-encoded as
// JSON, with the page's form. The server keeps the challenge; nothing here
// is secret. Loaded only on the WebAuthn pages (CSP script-src 'self').
(function () {
  "use strict";

  var form = document.getElementById("webauthn-form");
  var button = document.getElementById("webauthn-start");
  var source = document.getElementById("webauthn-options");
  if (!form || !button || !source) {
    return;
  }

  function show(id) {
    ["webauthn-cancelled", "webauthn-unsupported", "webauthn-error"].forEach(function (other) {
      var element = document.getElementById(other);
      if (element) {
        element.hidden = other !== id;
      }
    });
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    show("webauthn-unsupported");
    button.disabled = true;
    return;
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) {
      base64 += "=";
    }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) {
      return null;
    }
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (entry) {
      var copy = Object.assign({}, entry);
      copy.id = toBytes(entry.id);
      return copy;
    });
  }

  var ceremony = form.getAttribute("data-ceremony");

  function request() {
    var options = JSON.parse(source.textContent);
    var publicKey = options.publicKey;
    publicKey.challenge = toBytes(publicKey.challenge);
    if (ceremony === "create") {
      publicKey.user.id = toBytes(publicKey.user.id);
      publicKey.excludeCredentials = withIds(publicKey.excludeCredentials);
      return navigator.credentials.create({ publicKey: publicKey });
    }
    publicKey.allowCredentials = withIds(publicKey.allowCredentials);
    // The user pressed the button: a modal request, not autofill.
    return navigator.credentials.get({ publicKey: publicKey });
  }

  function encode(credential) {
    var response = credential.response;
    var encoded = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (ceremony === "create") {
      encoded.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) {
        encoded.response.transports = response.getTransports();
      }
    } else {
      encoded.response.authenticatorData = toText(response.authenticatorData);
      encoded.response.signature = toText(response.signature);
      encoded.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(encoded);
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    show(null);
    var pending;
    try {
      pending = request();
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(function (credential) {
      if (!credential) {
        throw new Error("no credential");
      }
      document.getElementById("webauthn-response").value = encode(credential);
      form.submit();
    }).catch(function (error) {
      // Cancelled, not allowed, timed out or refused by the authenticator:
      // the reason stays in the browser (visible to developer tools as the
      // form's data-error); the user may try again.
      form.setAttribute("data-error", String(error && error.name) + ": " + String(error && error.message));
      show("webauthn-cancelled");
      button.textContent = button.getAttribute("data-retry");
      button.disabled = false;
    });
  });
}());
