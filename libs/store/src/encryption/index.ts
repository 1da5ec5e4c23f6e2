export * from './aes-gcm';
export * from './key-ring';
export * from './keys';
export * from './sealed-object';
