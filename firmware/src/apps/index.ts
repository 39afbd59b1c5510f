/** Every firmware app, imported for its registerApp() side effect. One line per app. */
export {};
import './mail';
import './nymble';
import './pay';
import './wallet-store';
