// The region list is configuration's (src/config/regions.ts): the schema checks it, below the recordings layer.
export { EU_REGIONS, regionRefusal } from '../../config/regions.js';
