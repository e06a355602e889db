// Stylesheets imported by the pages' scripts (dashboard/), which esbuild bundles as CSS.
declare module '*.css';
