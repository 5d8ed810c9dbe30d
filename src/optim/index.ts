/** torch.optim: stateful optimizers that update parameters in place, and pure updates for use inside transforms. */
export { Optimizer, SGD, Adam, AdamW } from "./optimizer.js";
export type { SGDOptions, AdamOptions, ParamGroup, ParamGroupInput, ParamsArg } from "./optimizer.js";
export { sgdUpdate, adamInit, adamUpdate } from "./functional.js";
export type { SgdUpdateOptions, AdamState, AdamUpdateOptions } from "./functional.js";
