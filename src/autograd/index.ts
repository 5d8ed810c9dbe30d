/** torch.autograd: tape autograd over concrete tensors (see tape.ts). */
export { backward, grad, noGrad, enableGrad, setGradEnabled, isGradEnabled } from "./tape.js";
export type { BackwardOptions, GradOptions } from "./tape.js";
