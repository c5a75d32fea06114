import init from "./keygen-worker.js";
