import { migrateMain } from '@zigong/kit';
import { __name__ } from './index';

migrateMain(__name__);
