// HTTP: the Koa application and its one error serializer, request ids, bodies read within bounds,
// bearer tokens, answers that must not be cached, fixed-window counters, and the listening socket.
export { createHttpApp, type RequestObserver } from './app.ts';
export type { RequestState } from './state.ts';
export { NO_STORE, noStore } from './noStore.ts';
export { writeError } from './errors.ts';
export { bearerToken } from './bearer.ts';
export { checkDepth, readJsonObject, readRawBody } from './body.ts';
export { FixedWindowCounter } from './fixedWindow.ts';
export { drainable, type Drainable } from './drain.ts';
export { listen, type ListenOptions } from './listen.ts';
