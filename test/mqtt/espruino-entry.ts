/**
 * Bundle entry for test/mqtt/espruino.test.ts: exposes the firmware MQTT modules on `global`
 * so the test can drive them inside the Espruino 2v29 emulation (boards/emu/espruino-vm.ts).
 */
import { MqttClient } from '../../firmware/src/mqtt/client';
import { MqttFramer } from '../../firmware/src/mqtt/stream';
import { decodePacket, encodePublish } from '../../firmware/src/mqtt/packets';

(global as unknown as Record<string, unknown>).mqttTest = {
  MqttClient: MqttClient,
  MqttFramer: MqttFramer,
  decodePacket: decodePacket,
  encodePublish: encodePublish,
};
