/** torch.nn: modules, parameters, layers, init, and nn.functional. */
import "../ops/methods.js";
export * as functional from "../ops/nn.js";
export * as init from "./init.js";
export { Module, Parameter, Buffer } from "./module.js";
export {
  Linear, Conv1d, Conv2d, ReLU, Tanh, Sigmoid, GELU, Identity, Softmax, LogSoftmax, Flatten, MaxPool2d, AvgPool2d, Dropout,
  Sequential, ModuleList, BatchNorm1d, BatchNorm2d, LayerNorm, Embedding, MSELoss, CrossEntropyLoss, isBatchNorm,
} from "./layers.js";
export type { LinearOptions, ConvOptions, MaxPoolOptions, AvgPoolOptions, BatchNormOptions, LayerNormOptions, EmbeddingOptions } from "./layers.js";
