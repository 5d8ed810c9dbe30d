/**
 * torch.nn: modules, parameters, layers, init, and nn.functional.
 *
 * Layers (one file per family) follow PyTorch's constructor arguments (keyword arguments in a
 * trailing options object), default initialisation and forward semantics; forwards are
 * nn.functional calls.
 */
import "../ops/methods.js";
export * as functional from "../ops/nn/index.js";
export * as init from "./init.js";
export { Module, Parameter, Buffer } from "./module.js";
export { Linear, type LinearOptions } from "./linear.js";
export { Conv1d, Conv2d, type ConvOptions } from "./conv.js";
export { ReLU, Tanh, Sigmoid, GELU, Softmax, LogSoftmax } from "./activation.js";
export { Identity, Flatten } from "./shape.js";
export { MaxPool2d, AvgPool2d, type MaxPoolOptions, type AvgPoolOptions } from "./pooling.js";
export { Dropout } from "./dropout.js";
export { Sequential, ModuleList } from "./container.js";
export { BatchNorm1d, BatchNorm2d, LayerNorm, isBatchNorm, type BatchNormOptions, type LayerNormOptions } from "./norm.js";
export { Embedding, type EmbeddingOptions } from "./embedding.js";
export { MSELoss, CrossEntropyLoss } from "./loss.js";
