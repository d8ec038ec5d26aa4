// better-sqlite3 is an optional dependency loaded at run time (sqlite-catalog.ts); its shape is declared there.
declare module 'better-sqlite3';
