/*
 * hood: Espruino extension for ESP32 that writes the Wi-Fi station's unicast address register.
 *
 * Stock Espruino for ESP32 can read the station MAC (Wifi.getIP().mac) but has no call that writes
 * it. hood's anonymous mode needs one: before any frame is sent, the register must hold the
 * session's temporary MAC (paper "True Anonymity Without Mixes", section 5), never the burned-in
 * address. This file adds one JS call, ESP32.setStaMac("xx:xx:xx:xx:xx:xx"), built into Espruino
 * with ESPRUINO_WRAPPERSOURCES (README.md). The firmware looks for it at boot; without it, anonymous
 * mode is refused (boards/esp32-devkitc/mac-ext.ts).
 *
 * What the call checks, in order, and why (ESP-IDF esp_wifi_set_mac documentation):
 *  1. the argument is exactly "xx:xx:xx:xx:xx:xx" (hex), not all-zero and not broadcast;
 *  2. the I/G bit (bit 0 of the first octet) is 0: ESP-IDF refuses a multicast address, and a
 *     station address must be unicast;
 *  3. the Wi-Fi driver is initialised (esp_wifi_init; Espruino does it at boot);
 *  4. the station interface is enabled: mode STA or APSTA (a NULL mode is switched to STA, which
 *     starts nothing and sends nothing; AP-only is refused);
 *  5. the station is NOT connected (esp_wifi_sta_get_ap_info fails): changing the address under an
 *     association would leave the AP with the old one, so the caller must Wifi.disconnect() first;
 *  6. the station interface is disabled while the register is written ("This API can only be called
 *     when the interface is disabled"): esp_wifi_stop() is called, which never transmits. The call
 *     does NOT start Wi-Fi again: Espruino's STA_START event handler calls esp_wifi_connect()
 *     immediately, so starting here would associate at once. Wifi.connect() starts it afterwards,
 *     with the new address already in the register;
 *  7. after esp_wifi_set_mac, the register is read back (esp_wifi_get_mac) and must equal the
 *     request; anything else throws.
 * Every refusal throws a JS exception; the firmware then fails the session closed.
 *
 * At init (jswInit, which Espruino's jsiSoftInit runs before the saved boot code and before
 * jswrap_wifi_restore() can start the station) the register is loaded with a random, locally
 * administered unicast address (esp_fill_random; first octet: bit 0 = 0, bit 1 = 1), so that nothing
 * the radio could send before hood's code runs carries the burned-in address (README.md, "Boot").
 * ESP32.getFactoryMac() returns the eFuse station address for the home identity (paper section 2.4).
 */
#include <string.h>

#include "jswrap_hood_mac.h"
#include "jsinteractive.h"
#include "jsparse.h"

#include "esp_err.h"
#include "esp_system.h"
#include "esp_wifi.h"

/* Parse "xx:xx:xx:xx:xx:xx" (either hex case). Returns false on any other shape. */
static bool hood_parse_mac(JsVar *jsMac, uint8_t out[6]) {
  char buf[18];
  if (!jsvIsString(jsMac) || jsvGetStringLength(jsMac) != 17) return false;
  jsvGetString(jsMac, buf, sizeof(buf));
  for (int i = 0; i < 6; i++) {
    int v = 0;
    for (int k = 0; k < 2; k++) {
      char c = buf[i * 3 + k];
      int d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return false;
      v = v * 16 + d;
    }
    if (i < 5 && buf[i * 3 + 2] != ':') return false;
    out[i] = (uint8_t)v;
  }
  return true;
}

static bool hood_fail(const char *what, esp_err_t err) {
  jsExceptionHere(JSET_ERROR, "setStaMac: %s (%s)", what, esp_err_to_name(err));
  return false;
}

/*JSON{
  "type"     : "staticmethod",
  "class"    : "ESP32",
  "ifdef"    : "ESP32",
  "name"     : "setStaMac",
  "generate" : "jswrap_hood_esp32_setStaMac",
  "params"   : [
    ["mac", "JsVar", "The new station address as a string `\"xx:xx:xx:xx:xx:xx\"` (unicast: bit 0 of the first octet must be 0)"]
  ],
  "return"   : ["bool", "`true` once the register holds the address; every refusal throws an exception"]
}
Write the Wi-Fi station's unicast address register (`esp_wifi_set_mac(WIFI_IF_STA, ...)`), added by
hood (boards/esp32 in the hood repository). The station must not be connected: call
`Wifi.disconnect()` first, and `Wifi.connect()` afterwards. Stops the station interface while
writing and does not restart it.
*/
bool jswrap_hood_esp32_setStaMac(JsVar *jsMac) {
  uint8_t mac[6];
  if (!hood_parse_mac(jsMac, mac)) {
    jsExceptionHere(JSET_TYPEERROR, "setStaMac: expected a string \"xx:xx:xx:xx:xx:xx\"");
    return false;
  }
  if (mac[0] & 0x01) {
    jsExceptionHere(JSET_ERROR, "setStaMac: I/G bit set (bit 0 of the first octet): not a unicast address");
    return false;
  }
  bool zero = true;
  for (int i = 0; i < 6; i++) if (mac[i]) zero = false;
  if (zero) {
    jsExceptionHere(JSET_ERROR, "setStaMac: all-zero address");
    return false;
  }

  wifi_mode_t mode;
  esp_err_t err = esp_wifi_get_mode(&mode);
  if (err != ESP_OK) return hood_fail("Wi-Fi driver not initialised", err);
  if (mode == WIFI_MODE_AP) {
    jsExceptionHere(JSET_ERROR, "setStaMac: station interface not enabled (AP-only mode)");
    return false;
  }
  if (mode == WIFI_MODE_NULL) {
    err = esp_wifi_set_mode(WIFI_MODE_STA);
    if (err != ESP_OK) return hood_fail("cannot enable station mode", err);
  }

  wifi_ap_record_t ap;
  if (esp_wifi_sta_get_ap_info(&ap) == ESP_OK) {
    jsExceptionHere(JSET_ERROR, "setStaMac: station is connected; call Wifi.disconnect() first");
    return false;
  }

  err = esp_wifi_stop();
  if (err != ESP_OK) return hood_fail("cannot stop the station interface", err);

  err = esp_wifi_set_mac(WIFI_IF_STA, mac);
  if (err != ESP_OK) return hood_fail("esp_wifi_set_mac refused", err);

  uint8_t check[6];
  err = esp_wifi_get_mac(WIFI_IF_STA, check);
  if (err != ESP_OK) return hood_fail("cannot read the register back", err);
  if (memcmp(check, mac, 6) != 0) {
    jsExceptionHere(JSET_ERROR, "setStaMac: register does not hold the requested address");
    return false;
  }
  return true;
}

/*JSON{
  "type"     : "init",
  "ifdef"    : "ESP32",
  "generate" : "jswrap_hood_esp32_init"
}
Load a random, locally administered unicast address into the station register before anything can
start the station (hood: boards/esp32/README.md).
*/
void jswrap_hood_esp32_init(void) {
  uint8_t mac[6];
  wifi_mode_t mode;
  /* Wi-Fi disabled (ESP32.enableWifi(false)) or not initialised: nothing can transmit, nothing to do. */
  if (esp_wifi_get_mode(&mode) != ESP_OK || mode == WIFI_MODE_AP) return;
  /* After a soft reset the station may be associated (home mode): leave it to its owner. */
  wifi_ap_record_t ap;
  if (esp_wifi_sta_get_ap_info(&ap) == ESP_OK) return;
  if (mode == WIFI_MODE_NULL && esp_wifi_set_mode(WIFI_MODE_STA) != ESP_OK) return;
  /* Stopping never transmits; the write needs the interface disabled (see the call above). */
  esp_wifi_stop();
  esp_fill_random(mac, sizeof(mac));
  mac[0] = (uint8_t)((mac[0] & 0xFC) | 0x02); /* I/G = 0 (unicast), U/L = 1 (locally administered) */
  esp_wifi_set_mac(WIFI_IF_STA, mac);
  memset(mac, 0, sizeof(mac));
}

/*JSON{
  "type"     : "staticmethod",
  "class"    : "ESP32",
  "ifdef"    : "ESP32",
  "name"     : "getFactoryMac",
  "generate" : "jswrap_hood_esp32_getFactoryMac",
  "return"   : ["JsVar", "The factory (eFuse) station address as `\"xx:xx:xx:xx:xx:xx\"`, or undefined"]
}
The burned-in station address (the register holds a random one from init on; hood's home mode uses
this one).
*/
JsVar *jswrap_hood_esp32_getFactoryMac(void) {
  uint8_t mac[6];
  if (esp_read_mac(mac, ESP_MAC_WIFI_STA) != ESP_OK) return 0;
  return jsvVarPrintf("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}
