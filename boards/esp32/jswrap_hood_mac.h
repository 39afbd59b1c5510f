/*
 * hood: Espruino extension for ESP32 that writes the Wi-Fi station's unicast address register.
 * See jswrap_hood_mac.c and README.md.
 */
#ifndef JSWRAP_HOOD_MAC_H
#define JSWRAP_HOOD_MAC_H

#include "jsvar.h"

bool jswrap_hood_esp32_setStaMac(JsVar *jsMac);
void jswrap_hood_esp32_init(void);
JsVar *jswrap_hood_esp32_getFactoryMac(void);

#endif
