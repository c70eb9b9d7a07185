export * from './emulator.js';
export * from './protocol.js';
export * from './wav.js';
