/** The same Socket.IO client as socketio-recovery's: the adapter lives on the servers. */
export { connectClient } from '../socketio-recovery/client.js';
