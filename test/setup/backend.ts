/** Preloaded by `npm test` (NODE_OPTIONS=--import) to run the whole suite on one backend. */
import { getBackend, setBackend } from "../../src/index.js";

const name = process.env.TFUNC_BACKEND;
if (name) setBackend(name);
if (name && getBackend() !== name) throw new Error(`test setup: backend ${name} was not selected`);
