export * from './aes-gcm';
export * from './key-ring';
export * from './keys';
