/** The same lean protocol client as agentwire-memory's: the wire does not change with the log. */
export { connectClient } from '../agentwire-memory/client.js';
