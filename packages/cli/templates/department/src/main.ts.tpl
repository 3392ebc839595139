import { serveDepartment } from '@zigong/kit';
import { __name__ } from './index';

serveDepartment(__name__);
