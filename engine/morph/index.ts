export * from './modelState.js';
export * from './channelMap.js';
export * from './net2wider.js';
export * from './deeper.js';
export * from './skipConnections.js';
export * from './kernelMorphs.js';
export * from './morphCatalogue.js';
export * from './shrink.js';
